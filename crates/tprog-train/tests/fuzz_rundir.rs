//! Mutated run-directory files (model, checkpoint, config, state) give a value or a clean
//! error, never a panic. `examples/fuzz_rundir.rs` runs the same loop for longer.

#![allow(clippy::unwrap_used)]

#[test]
fn mutated_run_files_never_panic() {
    let panics = tprog_train::fuzz::run(7, 3000).unwrap();
    assert!(panics.is_empty(), "{} panics: {panics:#?}", panics.len());
}

#[test]
fn a_flipped_byte_in_a_saved_model_is_found_by_its_checksum() {
    let seeds = tprog_train::fuzz::seeds().unwrap();
    let config: tprog_train::RunConfig = serde_json::from_str(&seeds.config).unwrap();
    let mut model = config.model.init(0).unwrap();
    let path = std::path::Path::new("model.safetensors");
    model.load_safetensors_bytes(&seeds.model, path).unwrap();
    // Flip one bit in the last tensor byte (data, not header).
    let mut corrupted = seeds.model.clone();
    let last = corrupted.len() - 1;
    corrupted[last] ^= 0x10;
    let error = model
        .load_safetensors_bytes(&corrupted, path)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("checksum") && error.contains("model.safetensors"),
        "{error}"
    );
    let mut corrupted = seeds.checkpoint.clone();
    let last = corrupted.len() - 1;
    corrupted[last] ^= 0x01;
    let error = tprog_train::checkpoint::restore_bytes(&corrupted, path, model.params_mut())
        .unwrap_err()
        .to_string();
    assert!(error.contains("checksum"), "{error}");
}
