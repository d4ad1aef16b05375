//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/*`) through the same checks the
//! fuzz targets run, so `cargo test` keeps every input that once found a bug (and every seed)
//! passing on stable Rust, without cargo-fuzz.

use std::{fs, path::PathBuf};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

#[test]
fn every_committed_input_keeps_its_properties() {
    let (mut replayed, mut failed) = (0, Vec::new());
    for (target, check) in cv_fuzz::TARGETS {
        let dir = corpus_dir().join(target);
        let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus folder {}: {e}", dir.display()))
            .map(|entry| entry.expect("a corpus entry").path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "no corpus for target {target}");
        for path in inputs {
            let data = fs::read(&path).expect("a corpus file");
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                failed.push(format!("{target}/{name}"));
            }
            replayed += 1;
        }
    }
    println!("replayed {replayed} corpus inputs");
    assert!(failed.is_empty(), "inputs that break their target's properties: {failed:#?}");
}

#[test]
fn every_corpus_folder_is_a_target() {
    let targets: Vec<&str> = cv_fuzz::TARGETS.iter().map(|(name, _)| *name).collect();
    for entry in fs::read_dir(corpus_dir()).expect("the corpus folder") {
        let name = entry.expect("a corpus entry").file_name();
        let name = name.to_string_lossy();
        assert!(targets.contains(&name.as_ref()), "corpus folder {name} has no target");
    }
}
