#![no_main]

use framewise_fuzz::checks::{DecodeCobsInput, check_decode_cobs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DecodeCobsInput| check_decode_cobs(input));
