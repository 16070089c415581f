//! GloVe initialisation against the reference's `--do_glove 1` fixture: the random projection's
//! components (numpy's legacy normal draws), the projected vectors and the resulting `embed.W_E`
//! bit for bit; and the GloVe reader's errors.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use safetensors::SafeTensors;
use tprog_baseline::standard::StandardConfig;
use tprog_model::ModelConfig;
use tprog_train::glove::{
    GloveError, init_embedding, init_standard_embedding, project, projection_components,
    read_glove, vocabulary_vectors,
};

fn fixture() -> (serde_json::Value, Vec<u8>) {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/reference"
    ));
    let json = std::fs::read_to_string(dir.join("tiny_learned_embed_glove_init.json")).unwrap();
    let bytes = std::fs::read(dir.join("tiny_learned_embed_glove_init.safetensors")).unwrap();
    (serde_json::from_str(&json).unwrap(), bytes)
}

fn tensor(st: &SafeTensors<'_>, name: &str) -> (Vec<usize>, Vec<f32>) {
    let view = st.tensor(name).unwrap();
    let data = view
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    (view.shape().to_vec(), data)
}

#[test]
fn projection_and_embedding_match_the_reference_bit_for_bit() {
    let (json, bytes) = fixture();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let (vshape, vectors) = tensor(&st, "input.glove_vectors");
    let (cshape, want_components) = tensor(&st, "input.glove_components");
    let (_, want_projected) = tensor(&st, "input.glove_projected");
    let (_, want_embed) = tensor(&st, "param.embed.W_E");
    let (v, d) = (vshape[0], vshape[1]);
    let n = cshape[0];
    assert_eq!(n, json["glove"]["n_components"].as_u64().unwrap() as usize);

    let components = projection_components(n, d, 0);
    let rounded: Vec<f32> = components.iter().map(|&c| c as f32).collect();
    assert_eq!(rounded, want_components, "projection components");

    // The fixture's vectors were written to a GloVe text file and parsed back as float64: the
    // float32 values are exactly those doubles.
    let vectors: Vec<f64> = vectors.iter().map(|&x| f64::from(x)).collect();
    let projected = project(&vectors, &components, d);
    assert_eq!(projected, want_projected, "projected vectors");

    let mut config = json["config"].clone();
    let words: Vec<String> = serde_json::from_value(json["input_vocab"].clone()).unwrap();
    let obj = config.as_object_mut().unwrap();
    obj.insert("vocab_size".into(), words.len().into());
    let classes = json["output_vocab"].as_array().unwrap().len();
    obj.insert("n_classes".into(), classes.into());
    obj.insert("masked_classes".into(), vec![0, 1].into());
    let config: ModelConfig = serde_json::from_value(config).unwrap();
    let mut model = config.init(0).unwrap();
    assert_eq!(v, words.len());
    init_embedding(&mut model, &projected).unwrap();
    assert_eq!(
        model.params().by_name("embed.W_E").unwrap(),
        &want_embed[..]
    );
}

/// The standard Transformer's `embed.token` (`V × d_model`) is the projection itself, so with
/// `d_model` = the fixture's `n_components` it is the transpose of the reference's `embed.W_E`
/// bit for bit; a matrix of another size is refused.
#[test]
fn the_standard_embedding_is_the_reference_projection_bit_for_bit() {
    let (json, bytes) = fixture();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let (vshape, vectors) = tensor(&st, "input.glove_vectors");
    let (wshape, want_embed) = tensor(&st, "param.embed.W_E");
    let (v, d) = (vshape[0], vshape[1]);
    let n = wshape[0];
    assert_eq!(wshape[1], v);
    let config = StandardConfig {
        d_model: n,
        n_layers: 1,
        n_heads: 2,
        d_mlp: 8,
        dropout: 0.0,
        n_ctx: 12,
        vocab_size: v,
        n_classes: json["output_vocab"].as_array().unwrap().len(),
        masked_classes: vec![0, 1],
        pad_token: 0,
        autoregressive: false,
        pool_outputs: true,
    };
    let mut model = config.init(0).unwrap();
    let before = model.params().by_name("embed.position").unwrap().to_vec();
    let vectors: Vec<f64> = vectors.iter().map(|&x| f64::from(x)).collect();
    let projected = project(&vectors, &projection_components(n, d, 0), d);
    init_standard_embedding(&mut model, &projected).unwrap();
    let token = model.params().by_name("embed.token").unwrap();
    for word in 0..v {
        for r in 0..n {
            assert_eq!(
                token[word * n + r],
                want_embed[r * v + word],
                "word {word}, row {r}"
            );
        }
    }
    // Only the token embedding changes.
    assert_eq!(
        model.params().by_name("embed.position").unwrap(),
        &before[..]
    );
    let err = init_standard_embedding(&mut model, &projected[1..]).unwrap_err();
    assert!(err.to_string().contains("embed.token"), "{err}");
}

#[test]
fn the_reader_keeps_asked_words_draws_missing_ones_and_names_bad_lines() {
    let dir = std::env::temp_dir().join(format!("tprog-glove-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("glove.txt");
    // 840B has words with spaces ("at name@domain.com" style): the last `d` fields are numbers.
    std::fs::write(&path, "the 0.5 -1 2\nThe 1 1 1\n. . 3 4 5\na b 7 8 9\n").unwrap();
    let wanted: Vec<String> = ["the", ". .", "a b", "missing"].map(String::from).to_vec();
    let glove = read_glove(&path, &wanted).unwrap();
    assert_eq!(glove.dim, 3);
    assert_eq!(glove.vectors["the"], vec![0.5, -1.0, 2.0]);
    assert_eq!(glove.vectors["a b"], vec![7.0, 8.0, 9.0]);
    assert!(!glove.vectors.contains_key("The"));
    let (m, missing) = vocabulary_vectors(&glove, &wanted, 0);
    assert_eq!(missing, 1);
    assert_eq!(&m[..3], &[0.5, -1.0, 2.0]);
    // numpy: RandomState(0).randn(3).
    assert!((m[9] - 1.764_052_345_967_664).abs() < 1e-15);

    // A repeated word keeps its first vector (its later lines are not read further).
    std::fs::write(&path, "the 0.5 -1 2\nthe 1 x 1\n").unwrap();
    assert_eq!(
        read_glove(&path, &wanted).unwrap().vectors["the"],
        vec![0.5, -1.0, 2.0]
    );
    // A bad number of a wanted word is an error naming the line.
    std::fs::write(&path, "the 0.5 -1 2\na b nan 1 1\n").unwrap();
    let err = read_glove(&path, &wanted).unwrap_err().to_string();
    assert!(
        err.contains("glove.txt:2") && err.contains("finite"),
        "{err}"
    );
    std::fs::write(&path, "the 0.5 -1 2\n1 2\n").unwrap();
    let err = read_glove(&path, &wanted).unwrap_err().to_string();
    assert!(
        err.contains("glove.txt:2") && err.contains("3 numbers"),
        "{err}"
    );
    let err = read_glove(&dir.join("nope.txt"), &wanted)
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope.txt"), "{err}");
    let mut one_hot = tprog_model::ModelConfig::readme_sort(8, 8, 6)
        .init(0)
        .unwrap();
    assert!(matches!(
        init_embedding(&mut one_hot, &[0.0; 4]),
        Err(GloveError::NoEmbedding { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `initialise` reads a gzipped file and fills `embed.W_E` with the projection of the
/// vocabulary's vectors (the missing word from `RandomState(seed)`).
#[test]
fn initialise_reads_gzip_and_fills_the_embedding() {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("tprog-glove-gz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("g.txt.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"a 1 0\nb 0 1\nc 1 1\n").unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let vocab: Vec<String> = ["<pad>", "a", "b", "c"].map(String::from).to_vec();
    let mut config = ModelConfig::readme_sort(4, 4, 3);
    config.one_hot_embed = false;
    config.n_vars_cat = 2;
    config.d_var = 4;
    let mut model = config.init(0).unwrap();
    tprog_train::glove::initialise(&mut model, &path, &vocab, 0).unwrap();
    let glove = read_glove(&path, &vocab).unwrap();
    let (vectors, missing) = vocabulary_vectors(&glove, &vocab, 0);
    assert_eq!(missing, 1);
    let projected = project(&vectors, &projection_components(8, 2, 0), 2);
    let w = model.params().by_name("embed.W_E").unwrap();
    for word in 0..4 {
        for r in 0..8 {
            assert_eq!(w[r * 4 + word], projected[word * 8 + r]);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
