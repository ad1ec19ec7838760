#![no_main]

use framewise_fuzz::checks::framings::{DecodeStuffedInput, check_decode_slip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DecodeStuffedInput| check_decode_slip(input));
