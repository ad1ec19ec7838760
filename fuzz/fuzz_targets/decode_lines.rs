#![no_main]

use framewise_fuzz::checks::{DecodeLinesInput, check_decode_lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DecodeLinesInput| check_decode_lines(input));
