#![no_main]

use framewise_fuzz::checks::DecodeLengthInput;
use framewise_fuzz::checks::framings::check_decode_varint4;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DecodeLengthInput| check_decode_varint4(input));
