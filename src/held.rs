//! Files chosen but not uploaded yet, kept on this device so a reload does not forget them: the stored
//! record (base64 bytes, written and read by the widget itself: no JSON parser) and the size rule. Pure; `app`
//! reads the files' bytes and `storage` keeps the record under the device's namespaced `files` key.

/// The file bytes kept per device namespace (before base64, which adds a third): a file that would go over it
/// is not kept, and its chip tells the visitor to retry when online.
pub const HELD_MAX_BYTES: i64 = 2 * 1024 * 1024;

/// Whether a file of `size` bytes may be kept beside `held` bytes already kept.
pub fn fits(held: i64, size: i64) -> bool {
    size >= 0 && held + size <= HELD_MAX_BYTES
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldFile {
    pub name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// What waits to be uploaded: the files, and once the visitor pressed Send the caption and the chat they go to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Held {
    /// The chat the files go to (`None`: a new one).
    pub session_id: Option<String>,
    /// `Some` once the visitor pressed Send: the files are then uploaded and sent when online.
    pub caption: Option<String>,
    /// The message's client id, fixed when the visitor pressed Send: two tabs that both restore the record send
    /// the same message, which the server stores once.
    pub client_id: Option<String>,
    pub files: Vec<HeldFile>,
}

// `v1\n{session or -}\t{client id or -}\t{caption length or -}\n{caption}` then per file
// `{name length}\t{type length}\t{base64 length}\n{name}{type}{base64}` (lengths in bytes).
pub fn encode(held: &Held) -> String {
    let mut out = String::from("v1\n");
    out.push_str(held.session_id.as_deref().unwrap_or("-"));
    out.push('\t');
    out.push_str(held.client_id.as_deref().unwrap_or("-"));
    out.push('\t');
    match &held.caption {
        Some(caption) => {
            out.push_str(&crate::text::decimal(caption.len() as i64));
            out.push('\n');
            out.push_str(caption);
        }
        None => out.push_str("-\n"),
    }
    for file in &held.files {
        let data = base64_encode(&file.bytes);
        for (i, part) in [&file.name, &file.media_type, &data].iter().enumerate() {
            out.push_str(&crate::text::decimal(part.len() as i64));
            out.push(if i == 2 { '\n' } else { '\t' });
        }
        out.push_str(&file.name);
        out.push_str(&file.media_type);
        out.push_str(&data);
    }
    out
}

fn split_at(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == byte)?;
    Some((&text[..at], &text[at + 1..]))
}

fn take(text: &str, len: &str) -> Option<(String, usize)> {
    let len = usize::try_from(crate::text::parse_decimal(len)?).ok()?;
    Some((text.get(..len)?.to_owned(), len))
}

/// The record [`encode`] wrote; `None` when it is damaged (then nothing is restored).
pub fn decode(text: &str) -> Option<Held> {
    let rest = text.strip_prefix("v1\n")?;
    let (session, rest) = split_at(rest, b'\t')?;
    let (client_id, rest) = split_at(rest, b'\t')?;
    let (caption_len, mut rest) = split_at(rest, b'\n')?;
    let caption = if caption_len == "-" {
        None
    } else {
        let (caption, len) = take(rest, caption_len)?;
        rest = &rest[len..];
        Some(caption)
    };
    let mut files = Vec::new();
    while !rest.is_empty() {
        let (name_len, after) = split_at(rest, b'\t')?;
        let (type_len, after) = split_at(after, b'\t')?;
        let (data_len, mut after) = split_at(after, b'\n')?;
        let mut parts = Vec::new();
        for len in [name_len, type_len, data_len] {
            let (part, n) = take(after, len)?;
            after = &after[n..];
            parts.push(part);
        }
        let bytes = base64_decode(&parts[2])?;
        let media_type = parts.swap_remove(1);
        files.push(HeldFile {
            name: parts.swap_remove(0),
            media_type,
            bytes,
        });
        rest = after;
    }
    Some(Held {
        session_id: (session != "-").then(|| session.to_owned()),
        caption,
        client_id: (client_id != "-").then(|| client_id.to_owned()),
        files,
    })
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i)) as usize & 63]
            } else {
                b'='
            });
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if text.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for chunk in text.chunks(4) {
        let mut n = 0u32;
        let mut pad = 0;
        for &c in chunk {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' => {
                    pad += 1;
                    0
                }
                _ => return None,
            };
            if pad > 0 && c != b'=' {
                return None;
            }
            n = (n << 6) | u32::from(v);
        }
        if pad > 2 {
            return None;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_the_standard_one() {
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foobar", "Zm9vYmFy"),
            (&[0xff, 0xfe, 0x00][..], "//4A"),
        ] {
            assert_eq!(base64_encode(bytes), text);
            assert_eq!(base64_decode(text).unwrap(), bytes);
        }
        assert_eq!(base64_decode("Zg="), None);
        assert_eq!(base64_decode("Z=g="), None);
        assert_eq!(base64_decode("Zg!="), None);
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(base64_decode(&base64_encode(&all)).unwrap(), all);
    }

    #[test]
    fn a_record_round_trips_with_or_without_a_caption() {
        let held = Held {
            session_id: Some("s_1".into()),
            caption: Some("my bill\n\tv1 ✓".into()),
            client_id: Some("c_0123456789abcdef".into()),
            files: vec![
                HeldFile {
                    name: "a b\t.pdf".into(),
                    media_type: "application/pdf".into(),
                    bytes: b"%PDF-1.4\n".to_vec(),
                },
                HeldFile {
                    name: "é.png".into(),
                    media_type: "image/png".into(),
                    bytes: vec![0, 1, 2, 255],
                },
            ],
        };
        assert_eq!(decode(&encode(&held)), Some(held.clone()));
        let chosen = Held {
            session_id: None,
            caption: None,
            client_id: None,
            ..held
        };
        assert_eq!(decode(&encode(&chosen)), Some(chosen));
        assert_eq!(decode(&encode(&Held::default())), Some(Held::default()));
    }

    #[test]
    fn a_damaged_record_restores_nothing() {
        assert_eq!(decode("v2\n-\t-\n"), None);
        assert_eq!(decode("v1\n-\t-\t9\nhi"), None);
        assert_eq!(decode("v1\n-\t-\t-\n1\t1\t4\nab!!!!"), None);
        assert_eq!(decode("v1\n-\t-\n"), None, "the record of an older build");
    }

    #[test]
    fn at_most_two_megabytes_are_kept() {
        assert!(fits(0, HELD_MAX_BYTES));
        assert!(fits(HELD_MAX_BYTES - 10, 10));
        assert!(!fits(HELD_MAX_BYTES - 10, 11));
        assert!(!fits(0, HELD_MAX_BYTES + 1));
    }
}
