//! The two byte encodings jsonpickle uses for `bytes`: standard base64
//! (`py/b64`, what brinery writes) and Python's `base64.b85encode` alphabet
//! (`py/b85`, jsonpickle's `use_base85` option; read only).

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B85: &[u8; 85] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

/// `base64.b64encode(data).decode('ascii')`.
pub(crate) fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `base64.b64decode(text)`: characters outside the alphabet are skipped, as
/// Python does by default; the padding must be right.
pub(crate) fn decode(text: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits, mut digits, mut pad) = (0u32, 0u32, 0usize, 0usize);
    for &c in text {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                pad += 1;
                continue;
            }
            _ => continue,
        };
        if pad > 0 {
            return Err("base64 data after padding".into());
        }
        acc = acc << 6 | v as u32;
        bits += 6;
        digits += 1;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    let needed = (4 - digits % 4) % 4;
    if digits % 4 == 1 || pad < needed {
        return Err("incorrect base64 padding".into());
    }
    Ok(out)
}

/// `base64.b85decode(text)`.
pub(crate) fn decode85(text: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 5 * 4 + 4);
    for chunk in text.chunks(5) {
        let mut n: u64 = 0;
        for i in 0..5 {
            let c = chunk.get(i).copied().unwrap_or(b'~');
            let v = B85.iter().position(|&a| a == c).ok_or_else(|| format!("bad base85 character {:?}", c as char))?;
            n = n * 85 + v as u64;
        }
        if n > u32::MAX as u64 {
            return Err("base85 overflow".into());
        }
        out.extend_from_slice(&(n as u32).to_be_bytes()[..chunk.len() - 1]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_python() {
        for (data, text) in
            [(&b""[..], ""), (b"a", "YQ=="), (b"ab", "YWI="), (b"abc", "YWJj"), (b"\xff\x00\xfe", "/wD+")]
        {
            assert_eq!(encode(data), text);
            assert_eq!(decode(text.as_bytes()).unwrap(), data);
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(encode(&all).as_bytes()).unwrap(), all);
        assert_eq!(decode(b"YW\nJj").unwrap(), b"abc");
        assert!(decode(b"YWI").is_err());
        assert!(decode(b"Y").is_err());
    }

    #[test]
    fn base85_matches_python() {
        // base64.b85encode(b'hello world!') and b85encode(b'abc').
        assert_eq!(decode85(b"Xk~0{Zy<MXa%^NF").unwrap(), b"hello world!");
        assert_eq!(decode85(b"VPaz").unwrap(), b"abc");
        assert!(decode85(b"\"").is_err());
    }
}
