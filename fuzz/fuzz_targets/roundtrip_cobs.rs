#![no_main]

use framewise_fuzz::checks::{RoundTripCobsInput, check_roundtrip_cobs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: RoundTripCobsInput| check_roundtrip_cobs(input));
