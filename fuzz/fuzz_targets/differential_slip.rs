#![no_main]

use framewise_fuzz::checks::framings::{DifferentialSlipInput, check_differential_slip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DifferentialSlipInput| check_differential_slip(input));
