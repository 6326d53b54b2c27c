//! Per-strategy results: waits, service level, abandonment, fairness (Gini).

use super::*;

pub(crate) struct Report {
    pub(crate) strategy: Strategy,
    pub(crate) stats: Stats,
    pub(crate) work: Vec<u32>,
    pub(crate) events: u64,
}

pub(crate) fn gini(xs: &[u32]) -> f64 {
    let mut v: Vec<f64> = xs.iter().map(|&x| x as f64).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let sum: f64 = v.iter().sum();
    if n == 0.0 || sum == 0.0 {
        return 0.0;
    }
    let weighted: f64 = v
        .iter()
        .enumerate()
        .map(|(i, x)| (i as f64 + 1.0) * x)
        .sum();
    2.0 * weighted / (n * sum) - (n + 1.0) / n
}

impl Report {
    pub(crate) fn row(&self) -> String {
        let st = &self.stats;
        let mut waits = st.waits.clone();
        waits.sort_unstable();
        let mean = if waits.is_empty() {
            0.0
        } else {
            waits.iter().sum::<Millis>() as f64 / waits.len() as f64 / 1000.0
        };
        let p95 = if waits.is_empty() {
            0.0
        } else {
            let rank = (0.95 * waits.len() as f64).ceil() as usize;
            waits[rank.clamp(1, waits.len()) - 1] as f64 / 1000.0
        };
        let sl_base = st.arrivals - st.abandoned_in_sl;
        let sl = if sl_base == 0 {
            0.0
        } else {
            100.0 * st.answered_in_sl as f64 / sl_base as f64
        };
        let abandoned = 100.0 * (st.abandoned + st.fallback) as f64 / st.arrivals.max(1) as f64;
        let max = self.work.iter().max().copied().unwrap_or(0);
        let min = self.work.iter().min().copied().unwrap_or(0);
        format!(
            "| {} | {} | {} | {:.1} | {:.1} | {:.1} % | {:.1} % | {} / {} | {:.3} |",
            self.strategy.name(),
            st.arrivals,
            st.answered,
            mean,
            p95,
            sl,
            abandoned,
            max,
            min,
            gini(&self.work)
        )
    }
}
