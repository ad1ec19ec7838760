#![no_main]

use framewise_fuzz::checks::{DecodeLengthInput, check_decode_varint};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DecodeLengthInput| check_decode_varint(input));
