#![no_main]

use framewise_fuzz::checks::framings::{DecodeCrcInput, check_decode_crc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DecodeCrcInput| check_decode_crc(input));
