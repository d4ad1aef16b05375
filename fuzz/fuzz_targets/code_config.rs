#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cv_fuzz::code_config::check(data));
