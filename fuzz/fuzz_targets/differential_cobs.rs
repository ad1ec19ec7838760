#![no_main]

use framewise_fuzz::checks::{DifferentialCobsInput, check_differential_cobs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DifferentialCobsInput| check_differential_cobs(input));
