#![no_main]

use framewise_fuzz::checks::{DecodeAnyInput, check_decode_any};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DecodeAnyInput| check_decode_any(input));
