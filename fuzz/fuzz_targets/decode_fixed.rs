#![no_main]

use framewise_fuzz::checks::{DecodeFixedInput, check_decode_fixed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DecodeFixedInput| check_decode_fixed(input));
