/// Study texts compiled into gfmc, so `gfmc run` works without any file.
public enum EmbeddedStudies {
    /// The quick default study: byte-for-byte the text of `configs/quick.json` (a test checks they are equal;
    /// regenerate this literal when that file changes).
    public static let quick = #"""
// The embedded default study (gfmc run with no study file uses this exact text; a test keeps the two equal).
// Small enough to finish in well under a minute on 2 cores: 6 widths x 50 random initializations.
{
  "name": "quick",
  "seed": 2021,
  // Gaussian data as in the paper's wide-network experiment (theory.md §7.3), scaled down:
  // X is 20x40 with N(0, 1/40) entries, Y = X Theta + noise.
  "data": {"recipe": "gaussian", "samples": 20, "input_dim": 40, "output_dim": 1, "noise": 0.01},
  // U(0), V(0) entries N(0, 1/h): alpha = 1/2.
  "init": {"kind": "width_scaled", "alpha": 0.5},
  "widths": {"from": 50, "to": 5000, "count": 6, "spacing": "log"},
  "trials": 50,
  // The sampled engine draws the reduced initial state directly: the cost of a trial does not grow with h.
  "engine": "sampled",
  "method": "flow",
  "deltas": [0.01, 0.05]
}

"""#
}
