#![no_main]

use framewise_fuzz::checks::framings::{DecodeAsciiInput, check_decode_ascii};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DecodeAsciiInput| check_decode_ascii(input));
