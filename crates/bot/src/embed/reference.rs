//! The encoder's forward pass as candle tensor ops — the implementation kefu used before
//! [`super::fast`], kept (unchanged) as the reference that the equivalence test compares the
//! fast path against. Batches are padded to their longest text with an additive mask.

use super::{ce, embed_sorted, open, Embedder, EncoderConfig, Front};
use candle_core::{Device, Module, Tensor, D};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};
use std::path::Path;

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

/// The tensor-op encoder (slower; for comparisons).
pub struct CandleEncoder {
    front: Front,
    word: Embedding,
    pos: Embedding,
    typ: Tensor,
    eln: LayerNorm,
    layers: Vec<Layer>,
    device: Device,
    batch: usize,
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

impl CandleEncoder {
    /// Load a model directory (the same files as [`super::Encoder::load`]).
    pub fn load(dir: &Path) -> Result<Self, String> {
        let (front, vb, device) = open(dir)?;
        let cfg: &EncoderConfig = &front.cfg;
        let h = cfg.hidden_size;
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
        Ok(CandleEncoder {
            front,
            word,
            pos,
            typ,
            eln,
            layers,
            device,
            batch: 32,
        })
    }

    fn forward(&self, batch: &[Vec<u32>]) -> candle_core::Result<Vec<Vec<f32>>> {
        let cfg = &self.front.cfg;
        let b = batch.len();
        let l = batch.iter().map(Vec::len).max().unwrap_or(1);
        let h = cfg.hidden_size;
        let nh = cfg.num_attention_heads;
        let hd = h / nh;
        let mut ids = Vec::with_capacity(b * l);
        let mut mask = Vec::with_capacity(b * l);
        for seq in batch {
            for i in 0..l {
                ids.push(seq.get(i).copied().unwrap_or(cfg.eos_token_id));
                mask.push(if i < seq.len() { 1f32 } else { 0f32 });
            }
        }
        let dev = &self.device;
        let po = self.front.pos_offset;
        let ids = Tensor::from_vec(ids, (b, l), dev)?;
        let mask = Tensor::from_vec(mask, (b, l), dev)?;
        let pos_ids = Tensor::arange(po as u32, (po + l) as u32, dev)?;
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

impl Embedder for CandleEncoder {
    fn dim(&self) -> usize {
        self.front.cfg.hidden_size
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        embed_sorted(&self.front, texts, self.batch, |b| {
            self.forward(b).map_err(ce)
        })
    }
}
