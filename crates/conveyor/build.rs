//! Marks the PostgreSQL tests ignored (`cfg(postgres_unconfigured)`) when no database is
//! configured for them and none is required.

fn main() {
    println!("cargo::rerun-if-env-changed=CONVEYOR_TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=CONVEYOR_TEST_REQUIRE_POSTGRES");
    println!("cargo::rustc-check-cfg=cfg(postgres_unconfigured)");
    let configured = std::env::var_os("CONVEYOR_TEST_DATABASE_URL").is_some();
    let required = std::env::var("CONVEYOR_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1");
    if !configured && !required {
        println!("cargo::rustc-cfg=postgres_unconfigured");
    }
}
