//! The generated customers: a CSV file on disk, and the same rows for the raw baseline.

use std::{io::Write, path::Path};

use rand::{Rng, seq::SliceRandom};

/// The CSV header: standard columns plus three metadata columns.
pub const HEADER: &str = "name,source_id,email,phone,city,tier,points,signup_channel";

const TIERS: [&str; 3] = ["gold", "silver", "bronze"];
const CHANNELS: [&str; 4] = ["web", "mobile", "store", "partner"];

/// One generated customer.
pub struct Row {
    pub source_id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub city: String,
    pub metadata: String,
    line: String,
}

/// `n` customers with source_ids in random order.
pub fn generate(n: usize) -> Vec<Row> {
    let mut rng = rand::rng();
    let mut ids: Vec<u64> = (0..n as u64).collect();
    ids.shuffle(&mut rng);
    ids.into_iter()
        .map(|i| {
            let source_id = format!("ext-{:016x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let name = format!("Customer {i}");
            let email = format!("customer{i}@example.com");
            let phone = format!("+48 600 {:03} {:03}", i / 1000 % 1000, i % 1000);
            let city = format!("City {}", rng.random_range(0..500));
            let tier = TIERS[rng.random_range(0..TIERS.len())];
            let points = rng.random_range(0..100_000);
            let channel = CHANNELS[rng.random_range(0..CHANNELS.len())];
            let metadata =
                format!(r#"{{"tier":"{tier}","points":"{points}","signup_channel":"{channel}"}}"#);
            let line =
                format!("{name},{source_id},{email},{phone},{city},{tier},{points},{channel}\n");
            Row { source_id, name, email, phone, city, metadata, line }
        })
        .collect()
}

/// Writes the rows as a CSV file; returns its size in bytes.
pub fn write_csv(rows: &[Row], path: &Path) -> anyhow::Result<u64> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "{HEADER}")?;
    for row in rows {
        out.write_all(row.line.as_bytes())?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}
