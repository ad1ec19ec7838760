#![no_main]

use framewise_fuzz::checks::framings::{DecodeStuffedInput, check_decode_stuffed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DecodeStuffedInput| check_decode_stuffed(input));
