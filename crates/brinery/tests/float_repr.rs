//! `float_repr` against CPython's `repr(float)` on many floats: random bit
//! patterns (every exponent), random decimals, and known 17-digit ties.

mod common;

/// A small deterministic generator (xorshift64*), so failures reproduce.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

#[test]
fn repr_matches_cpython() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut floats: Vec<f64> = (0..100_000).map(|_| f64::from_bits(next(&mut state))).collect();
    floats.extend(
        (0..50_000).map(|_| (next(&mut state) % 1_000_000) as f64 / 10f64.powi((next(&mut state) % 40) as i32 - 20)),
    );
    floats.extend([0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 5e-324, f64::MAX, f64::MIN_POSITIVE]);
    floats.push(f64::from_bits(0x3ffd006800000000));

    let input: String = floats.iter().map(|f| format!("{:016x}\n", f.to_bits())).collect();
    let expected = common::run_python(
        "import sys,struct\nfor l in sys.stdin: print(repr(struct.unpack('>d', bytes.fromhex(l.strip()))[0]))",
        &input,
    );
    let mut mismatches = Vec::new();
    for (f, want) in floats.iter().zip(expected.lines()) {
        let got = brinery::float_repr::repr(*f);
        if got != want {
            mismatches.push(format!("{:016x}: ours {got}, CPython {want}", f.to_bits()));
        }
    }
    assert_eq!(expected.lines().count(), floats.len());
    assert!(
        mismatches.is_empty(),
        "{} mismatches, e.g.:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(10)].join("\n")
    );
}
