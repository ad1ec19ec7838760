#![no_main]

use framewise_fuzz::checks::{RoundTripLinesInput, check_roundtrip_lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: RoundTripLinesInput| check_roundtrip_lines(input));
