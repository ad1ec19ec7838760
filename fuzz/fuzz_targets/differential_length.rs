#![no_main]

use framewise_fuzz::checks::{DifferentialLengthInput, check_differential_length};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DifferentialLengthInput| check_differential_length(input));
