//! Sentence embeddings on the CPU with candle: a BERT / XLM-RoBERTa encoder (post-norm,
//! GELU) read from a model directory (`config.json`, `tokenizer.json`, `model.safetensors`,
//! optionally `kefu-normalization.json`), mean pooling over real tokens, L2 normalisation.
//! multilingual-e5 wants every text prefixed with "query: " for symmetric matching.

use crate::sentencepiece::Unigram;
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};
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

struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    ao: Linear,
    aln: LayerNorm,
    fi: Linear,
    fo: Linear,
    oln: LayerNorm,
}

/// The encoder and its tokenizer.
pub struct Encoder {
    cfg: EncoderConfig,
    tok: Unigram,
    word: Embedding,
    pos: Embedding,
    typ: Tensor,
    eln: LayerNorm,
    layers: Vec<Layer>,
    pos_offset: usize,
    prefix: String,
    device: Device,
    batch: usize,
}

fn ce(e: candle_core::Error) -> String {
    format!("embedding model: {e}")
}

fn linear(vb: &VarBuilder, name: &str, i: usize, o: usize) -> candle_core::Result<Linear> {
    let w = vb.get((o, i), &format!("{name}.weight"))?;
    let b = vb.get(o, &format!("{name}.bias"))?;
    Ok(Linear::new(w, Some(b)))
}

fn norm(vb: &VarBuilder, name: &str, h: usize, eps: f64) -> candle_core::Result<LayerNorm> {
    Ok(LayerNorm::new(
        vb.get(h, &format!("{name}.weight"))?,
        vb.get(h, &format!("{name}.bias"))?,
        eps,
    ))
}

impl Encoder {
    /// Load a model directory. Errors name the missing or malformed file.
    pub fn load(dir: &Path) -> Result<Self, String> {
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
        Self::from_vb(cfg, tok, vb, device)
    }

    fn from_vb(
        cfg: EncoderConfig,
        tok: Unigram,
        vb: VarBuilder,
        device: Device,
    ) -> Result<Self, String> {
        let h = cfg.hidden_size;
        if tok.vocab_size() > cfg.vocab_size {
            return Err("tokenizer.json has more pieces than the model's vocab_size".into());
        }
        if cfg.num_attention_heads == 0 || h % cfg.num_attention_heads != 0 {
            return Err(
                "config.json: hidden_size must be a multiple of num_attention_heads".into(),
            );
        }
        let e = vb.pp("embeddings");
        let word = Embedding::new(
            e.get((cfg.vocab_size, h), "word_embeddings.weight")
                .map_err(ce)?,
            h,
        );
        let pos = Embedding::new(
            e.get(
                (cfg.max_position_embeddings, h),
                "position_embeddings.weight",
            )
            .map_err(ce)?,
            h,
        );
        let typ = e
            .get((cfg.type_vocab_size, h), "token_type_embeddings.weight")
            .and_then(|t| t.get(0))
            .map_err(ce)?;
        let eln = norm(&e, "LayerNorm", h, cfg.layer_norm_eps).map_err(ce)?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for l in 0..cfg.num_hidden_layers {
            let v = vb.pp(format!("encoder.layer.{l}"));
            let f = cfg.intermediate_size;
            let eps = cfg.layer_norm_eps;
            let layer = (|| -> candle_core::Result<Layer> {
                Ok(Layer {
                    q: linear(&v, "attention.self.query", h, h)?,
                    k: linear(&v, "attention.self.key", h, h)?,
                    v: linear(&v, "attention.self.value", h, h)?,
                    ao: linear(&v, "attention.output.dense", h, h)?,
                    aln: norm(&v, "attention.output.LayerNorm", h, eps)?,
                    fi: linear(&v, "intermediate.dense", h, f)?,
                    fo: linear(&v, "output.dense", f, h)?,
                    oln: norm(&v, "output.LayerNorm", h, eps)?,
                })
            })()
            .map_err(ce)?;
            layers.push(layer);
        }
        let pos_offset = cfg
            .kefu_position_offset
            .unwrap_or(if cfg.model_type == "xlm-roberta" {
                2
            } else {
                0
            });
        let prefix = cfg.kefu_prefix.clone().unwrap_or_default();
        Ok(Encoder {
            cfg,
            tok,
            word,
            pos,
            typ,
            eln,
            layers,
            pos_offset,
            prefix,
            device,
            batch: 32,
        })
    }

    fn max_content(&self) -> usize {
        self.cfg
            .max_position_embeddings
            .saturating_sub(self.pos_offset + 2)
            .max(1)
    }

    /// Token ids with <s> … </s>, truncated to the model's length.
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = vec![self.cfg.bos_token_id];
        let content = self.tok.encode(&format!("{}{}", self.prefix, text));
        ids.extend(content.into_iter().take(self.max_content()));
        ids.push(self.cfg.eos_token_id);
        ids
    }

    fn forward(&self, batch: &[Vec<u32>]) -> candle_core::Result<Vec<Vec<f32>>> {
        let b = batch.len();
        let l = batch.iter().map(Vec::len).max().unwrap_or(1);
        let h = self.cfg.hidden_size;
        let nh = self.cfg.num_attention_heads;
        let hd = h / nh;
        let mut ids = Vec::with_capacity(b * l);
        let mut mask = Vec::with_capacity(b * l);
        for seq in batch {
            for i in 0..l {
                ids.push(seq.get(i).copied().unwrap_or(self.cfg.eos_token_id));
                mask.push(if i < seq.len() { 1f32 } else { 0f32 });
            }
        }
        let dev = &self.device;
        let ids = Tensor::from_vec(ids, (b, l), dev)?;
        let mask = Tensor::from_vec(mask, (b, l), dev)?;
        let pos_ids = Tensor::arange(self.pos_offset as u32, (self.pos_offset + l) as u32, dev)?;
        let x = self
            .word
            .forward(&ids)?
            .broadcast_add(&self.pos.forward(&pos_ids)?)?
            .broadcast_add(&self.typ)?;
        let mut x = self.eln.forward(&x)?;
        // additive attention mask: 0 for tokens, -1e4 for padding → (b, 1, 1, l)
        let bias = ((mask.clone() - 1.0)? * 1e4)?.reshape((b, 1, 1, l))?;
        let scale = 1.0 / (hd as f64).sqrt();
        for ly in &self.layers {
            let heads = |t: Tensor| -> candle_core::Result<Tensor> {
                t.reshape((b, l, nh, hd))?.transpose(1, 2)?.contiguous()
            };
            let q = heads(ly.q.forward(&x)?)?;
            let k = heads(ly.k.forward(&x)?)?;
            let v = heads(ly.v.forward(&x)?)?;
            let att = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&bias)?;
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let ctx = att.matmul(&v)?.transpose(1, 2)?.reshape((b, l, h))?;
            x = ly.aln.forward(&(ly.ao.forward(&ctx)? + &x)?)?;
            let mid = ly.fi.forward(&x)?.gelu_erf()?;
            x = ly.oln.forward(&(ly.fo.forward(&mid)? + &x)?)?;
        }
        // mean over real tokens, then L2
        let m = mask.unsqueeze(2)?;
        let summed = x.broadcast_mul(&m)?.sum(1)?;
        let count = m.sum(1)?;
        let mean = summed.broadcast_div(&count)?;
        let n = mean
            .sqr()?
            .sum_keepdim(D::Minus1)?
            .sqrt()?
            .clamp(1e-12, f64::MAX)?;
        mean.broadcast_div(&n)?.to_vec2::<f32>()
    }
}

impl Embedder for Encoder {
    fn dim(&self) -> usize {
        self.cfg.hidden_size
    }

    /// Texts are batched by length so padding stays small.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        let toks: Vec<Vec<u32>> = texts.iter().map(|t| self.token_ids(t)).collect();
        let mut order: Vec<usize> = (0..toks.len()).collect();
        order.sort_by_key(|&i| toks[i].len());
        let mut out = vec![Vec::new(); toks.len()];
        for chunk in order.chunks(self.batch) {
            let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| toks[i].clone()).collect();
            let vecs = self.forward(&batch).map_err(ce)?;
            for (&i, v) in chunk.iter().zip(vecs) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}

/// Cosine of two L2-normalised vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
