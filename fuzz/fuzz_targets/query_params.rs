#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cv_fuzz::query_params::check(data));
