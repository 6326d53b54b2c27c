//! Evaluation metrics: AUROC, the accuracy-maximising threshold, percentiles.

/// Area under the ROC curve of `scores` separating positives (`labels[i] == true`) from
/// negatives: the probability that a random positive scores above a random negative, ties
/// counting one half. `None` when either class is empty.
pub fn auroc(scores: &[f32], labels: &[bool]) -> Option<f64> {
    let pos = labels.iter().filter(|&&l| l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 || scores.len() != labels.len() {
        return None;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // average ranks (1-based) over ties, then Mann–Whitney U
    let mut rank_sum_pos = 0f64;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] {
                rank_sum_pos += avg;
            }
        }
        i = j + 1;
    }
    let u = rank_sum_pos - (pos * (pos + 1)) as f64 / 2.0;
    Some(u / (pos as f64 * neg as f64))
}

/// The threshold `t` maximising the accuracy of "positive iff score ≥ t", and that accuracy.
/// Candidates are midpoints between consecutive distinct scores (and both ends).
pub fn best_threshold(scores: &[f32], labels: &[bool]) -> Option<(f32, f64)> {
    if scores.is_empty() || scores.len() != labels.len() {
        return None;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let n = scores.len();
    let total_pos = labels.iter().filter(|&&l| l).count();
    // threshold below everything: all predicted positive
    let mut best = (scores[idx[0]] - 1.0, total_pos);
    let mut correct = total_pos; // negatives below t are correct, positives at/above
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            if labels[k] {
                correct -= 1;
            } else {
                correct += 1;
            }
        }
        let t = if j + 1 < n {
            (scores[idx[i]] + scores[idx[j + 1]]) / 2.0
        } else {
            scores[idx[j]] + 1.0
        };
        if correct > best.1 {
            best = (t, correct);
        }
        i = j + 1;
    }
    Some((best.0, best.1 as f64 / n as f64))
}

/// Accuracy of "positive iff score ≥ t".
pub fn accuracy_at(scores: &[f32], labels: &[bool], t: f32) -> f64 {
    if scores.is_empty() {
        return 0.0;
    }
    let ok = scores
        .iter()
        .zip(labels)
        .filter(|(s, l)| (**s >= t) == **l)
        .count();
    ok as f64 / scores.len() as f64
}

/// Nearest-rank percentile (`p` in 0..=100) of unsorted values.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auroc_of_known_rankings() {
        // perfect separation
        assert_eq!(
            auroc(&[0.9, 0.8, 0.2, 0.1], &[true, true, false, false]),
            Some(1.0)
        );
        // fully reversed
        assert_eq!(
            auroc(&[0.1, 0.2, 0.8, 0.9], &[true, true, false, false]),
            Some(0.0)
        );
        // positives 0.9, 0.4; negatives 0.5, 0.1 → pairs (0.9>0.5, 0.9>0.1, 0.4<0.5, 0.4>0.1) = 3/4
        assert_eq!(
            auroc(&[0.9, 0.4, 0.5, 0.1], &[true, true, false, false]),
            Some(0.75)
        );
        // a tie counts one half: pos 0.5 vs neg 0.5 → 0.5
        assert_eq!(auroc(&[0.5, 0.5], &[true, false]), Some(0.5));
        assert_eq!(auroc(&[0.5], &[true]), None);
    }

    #[test]
    fn threshold_selection_maximises_accuracy() {
        // sorted: 0.1 n, 0.3 n, 0.4 p, 0.6 n, 0.7 p, 0.9 p → best cut between 0.3 and 0.4
        // (5/6 right) — the cut between 0.6 and 0.7 is also 5/6 but comes later.
        let s = [0.9, 0.1, 0.4, 0.6, 0.3, 0.7];
        let l = [true, false, true, false, false, true];
        let (t, acc) = best_threshold(&s, &l).unwrap();
        assert!((t - 0.35).abs() < 1e-6, "{t}");
        assert!((acc - 5.0 / 6.0).abs() < 1e-9);
        assert!((accuracy_at(&s, &l, t) - acc).abs() < 1e-9);
        // all negative: the best threshold is above everything
        let (t, acc) = best_threshold(&[0.2, 0.4], &[false, false]).unwrap();
        assert!(t > 0.4 && acc == 1.0);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
    }
}
