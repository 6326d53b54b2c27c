//! Sentence embeddings on the CPU with candle: a BERT / XLM-RoBERTa encoder (post-norm,
//! GELU) read from a model directory (`config.json`, `tokenizer.json`, `model.safetensors`,
//! optionally `kefu-normalization.json`), mean pooling over real tokens, L2 normalisation.
//! multilingual-e5 wants every text prefixed with "query: " for symmetric matching.
//!
//! candle reads the weights; the forward pass is kefu's own ([`fast`], kernels in
//! [`kernels`]) because candle's per-op costs dominated single-query latency.
//! [`reference::CandleEncoder`] is the previous all-candle forward pass, kept for the
//! equivalence test.

mod fast;
pub mod kernels;
pub mod reference;
#[cfg(target_arch = "x86_64")]
mod x86;

use crate::sentencepiece::Unigram;
use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use std::path::Path;

/// Anything that turns texts into L2-normalised vectors (the matcher only needs this).
pub trait Embedder {
    fn dim(&self) -> usize;
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String>;
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct EncoderConfig {
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub vocab_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "one")]
    pub type_vocab_size: usize,
    #[serde(default = "eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub bos_token_id: u32,
    #[serde(default = "two")]
    pub eos_token_id: u32,
    #[serde(default)]
    pub model_type: String,
    /// First position id (XLM-RoBERTa checkpoints: padding id + 1 = 2; kefu's converted
    /// model has the table already shifted: 0).
    #[serde(default)]
    pub kefu_position_offset: Option<usize>,
    /// Prepended to every text (e5: "query: ").
    #[serde(default)]
    pub kefu_prefix: Option<String>,
}

fn one() -> usize {
    1
}
fn two() -> u32 {
    2
}
fn eps() -> f64 {
    1e-12
}

/// The tokenizer side shared by both forward passes.
struct Front {
    cfg: EncoderConfig,
    tok: Unigram,
    pos_offset: usize,
    prefix: String,
}

impl Front {
    fn max_content(&self) -> usize {
        self.cfg
            .max_position_embeddings
            .saturating_sub(self.pos_offset + 2)
            .max(1)
    }

    fn token_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = vec![self.cfg.bos_token_id];
        let content = self.tok.encode(&format!("{}{}", self.prefix, text));
        ids.extend(content.into_iter().take(self.max_content()));
        ids.push(self.cfg.eos_token_id);
        ids
    }
}

fn ce(e: candle_core::Error) -> String {
    format!("embedding model: {e}")
}

/// Read and check a model directory: the tokenizer side, and the weights (rooted at the
/// encoder, past any `roberta.` / `bert.` prefix). Errors name the missing or malformed file.
fn open(dir: &Path) -> Result<(Front, VarBuilder<'static>, Device), String> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let cfg: EncoderConfig = serde_json::from_str(&read("config.json")?)
        .map_err(|e| format!("{}: {e}", dir.join("config.json").display()))?;
    let norm_map = read("kefu-normalization.json").ok();
    let tok = Unigram::from_json(&read("tokenizer.json")?, norm_map.as_deref())?;
    let weights = dir.join("model.safetensors");
    if !weights.is_file() {
        return Err(format!("{}: missing", weights.display()));
    }
    if tok.vocab_size() > cfg.vocab_size {
        return Err("tokenizer.json has more pieces than the model's vocab_size".into());
    }
    if cfg.num_attention_heads == 0 || !cfg.hidden_size.is_multiple_of(cfg.num_attention_heads) {
        return Err("config.json: hidden_size must be a multiple of num_attention_heads".into());
    }
    let device = Device::Cpu;
    // SAFETY: the file is mapped read-only and not modified while the model lives.
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &device) }
        .map_err(ce)?;
    let vb = if vb.contains_tensor("roberta.embeddings.word_embeddings.weight") {
        vb.pp("roberta")
    } else if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
        vb.pp("bert")
    } else {
        vb
    };
    let pos_offset = cfg
        .kefu_position_offset
        .unwrap_or(if cfg.model_type == "xlm-roberta" {
            2
        } else {
            0
        });
    let prefix = cfg.kefu_prefix.clone().unwrap_or_default();
    let front = Front {
        cfg,
        tok,
        pos_offset,
        prefix,
    };
    Ok((front, vb, device))
}

/// Tokenize, batch texts of similar length together, run `forward` per batch, and return
/// the vectors in the input order.
fn embed_sorted(
    front: &Front,
    texts: &[&str],
    batch: usize,
    mut forward: impl FnMut(&[Vec<u32>]) -> Result<Vec<Vec<f32>>, String>,
) -> Result<Vec<Vec<f32>>, String> {
    let toks: Vec<Vec<u32>> = texts.iter().map(|t| front.token_ids(t)).collect();
    let mut order: Vec<usize> = (0..toks.len()).collect();
    order.sort_by_key(|&i| toks[i].len());
    let mut out = vec![Vec::new(); toks.len()];
    for chunk in order.chunks(batch) {
        let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| toks[i].clone()).collect();
        let vecs = forward(&batch)?;
        for (&i, v) in chunk.iter().zip(vecs) {
            out[i] = v;
        }
    }
    Ok(out)
}

/// The encoder and its tokenizer.
pub struct Encoder {
    front: Front,
    model: fast::Model,
    batch: usize,
}

impl Encoder {
    /// Load a model directory. Errors name the missing or malformed file.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let (front, vb, _device) = open(dir)?;
        let model = fast::Model::load(&front.cfg, &vb, front.pos_offset)?;
        Ok(Encoder {
            front,
            model,
            batch: 32,
        })
    }

    /// Token ids with <s> … </s>, truncated to the model's length.
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        self.front.token_ids(text)
    }
}

impl Embedder for Encoder {
    fn dim(&self) -> usize {
        self.front.cfg.hidden_size
    }

    /// Texts are batched by length (the batch's tokens go through each layer together).
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        embed_sorted(&self.front, texts, self.batch, |b| self.model.forward(b))
    }
}

/// Cosine of two L2-normalised vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
