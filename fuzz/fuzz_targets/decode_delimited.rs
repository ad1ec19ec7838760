#![no_main]

use framewise_fuzz::checks::{DecodeDelimitedInput, check_decode_delimited};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: DecodeDelimitedInput| check_decode_delimited(input));
