#![no_main]

use framewise_fuzz::checks::{RoundTripDelimitedInput, check_roundtrip_delimited};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: RoundTripDelimitedInput| check_roundtrip_delimited(input));
