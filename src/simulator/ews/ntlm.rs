//! The server side of NTLM (MS-NLMP) as IIS runs it for EWS: a challenge for each Negotiate
//! message, and NTLMv2 verification of the Authenticate message against the organisation's
//! password. NTLMv1 responses are refused, as Exchange's default policy does.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use ntlmclient::{
    AuthenticateMessage, ChallengeMessage, Credentials, Flags, Message, OsVersion, TargetInfoEntry,
    TargetInfoType,
};
use rand::RngExt;

/// The names the simulated server gives itself in its challenges.
pub const NETBIOS_DOMAIN: &str = "SIMULATOR";
pub const NETBIOS_COMPUTER: &str = "EXCHANGE01";
pub const DNS_DOMAIN: &str = "simulator.local";
pub const DNS_COMPUTER: &str = "exchange01.simulator.local";

/// An NTProofStr (16 bytes) plus the shortest NTLMv2 blob (28 bytes before the target info).
const MIN_NTLMV2_RESPONSE: usize = 16 + 28;

const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// What a client sent in an `Authorization: NTLM …` header.
#[derive(Debug)]
pub enum Token {
    Negotiate,
    Authenticate(Box<AuthenticateMessage>),
}

/// Decodes the token after `NTLM ` (or `Negotiate `, which IIS also accepts for NTLM tokens).
pub fn decode(token: &str) -> Option<Token> {
    let bytes = STANDARD.decode(token.trim()).ok()?;
    if bytes.len() < 12 || &bytes[..8] != SIGNATURE {
        return None;
    }
    match u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) {
        // A Negotiate message's fields are all optional hints; a parser that insists on them
        // would refuse the 40-byte messages common clients send, so only its type is read.
        1 => Some(Token::Negotiate),
        3 => match Message::try_from(bytes.as_slice()).ok()? {
            Message::Authenticate(message) => Some(Token::Authenticate(Box::new(message))),
            _ => None,
        },
        _ => None,
    }
}

/// Serialises a Challenge message as MS-NLMP 2.2.1.2 lays it out (fixed fields, then the
/// target name and target info in the payload). Written here because the layout must be
/// exact: the 8 reserved bytes sit between the challenge and the target info fields.
fn challenge_bytes(message: &ChallengeMessage) -> Option<Vec<u8>> {
    const PAYLOAD_OFFSET: usize = 56;
    let name: Vec<u8> = message.target_name.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let info: Vec<u8> =
        message.target_information.iter().flat_map(TargetInfoEntry::to_bytes).collect();
    let field = |len: usize, offset: usize| -> Option<Vec<u8>> {
        let len = u16::try_from(len).ok()?;
        let offset = u32::try_from(offset).ok()?;
        Some(
            [len.to_le_bytes(), len.to_le_bytes()]
                .concat()
                .into_iter()
                .chain(offset.to_le_bytes())
                .collect(),
        )
    };
    let mut out = Vec::with_capacity(PAYLOAD_OFFSET + name.len() + info.len());
    out.extend_from_slice(SIGNATURE);
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend(field(name.len(), PAYLOAD_OFFSET)?);
    out.extend_from_slice(&message.flags.bits().to_le_bytes());
    out.extend_from_slice(&message.challenge);
    out.extend_from_slice(&[0u8; 8]);
    out.extend(field(info.len(), PAYLOAD_OFFSET + name.len())?);
    out.extend_from_slice(&message.os_version.to_bytes());
    out.extend_from_slice(&name);
    out.extend_from_slice(&info);
    Some(out)
}

/// Windows FILETIME: 100-nanosecond ticks since 1601-01-01.
fn filetime(now: DateTime<Utc>) -> i64 {
    const UNIX_TO_WINDOWS_SECS: i64 = 11_644_473_600;
    (now.timestamp() + UNIX_TO_WINDOWS_SECS) * 10_000_000
        + i64::from(now.timestamp_subsec_nanos() / 100)
}

/// A fresh server challenge and the base64 Challenge (Type 2) message that carries it.
pub fn challenge(now: DateTime<Utc>) -> Option<([u8; 8], String)> {
    let mut server_challenge = [0u8; 8];
    rand::rng().fill(&mut server_challenge[..]);
    let message = ChallengeMessage {
        target_name: NETBIOS_DOMAIN.to_string(),
        flags: Flags::NEGOTIATE_UNICODE
            | Flags::REQUEST_TARGET
            | Flags::NEGOTIATE_NTLM
            | Flags::NEGOTIATE_ALWAYS_SIGN
            | Flags::TARGET_TYPE_DOMAIN
            | Flags::NEGOTIATE_NTLM2_KEY
            | Flags::NEGOTIATE_TARGET_INFO
            | Flags::NEGOTIATE_VERSION
            | Flags::NEGOTIATE_128BIT
            | Flags::NEGOTIATE_56BIT,
        challenge: server_challenge,
        context: (0, 0),
        target_information: vec![
            TargetInfoEntry::from_string(TargetInfoType::NtDomain, NETBIOS_DOMAIN),
            TargetInfoEntry::from_string(TargetInfoType::NtServer, NETBIOS_COMPUTER),
            TargetInfoEntry::from_string(TargetInfoType::DnsDomain, DNS_DOMAIN),
            TargetInfoEntry::from_string(TargetInfoType::DnsServer, DNS_COMPUTER),
            TargetInfoEntry {
                entry_type: TargetInfoType::Timestamp,
                data: filetime(now).to_le_bytes().to_vec(),
            },
            TargetInfoEntry { entry_type: TargetInfoType::Terminator, data: Vec::new() },
        ],
        // Windows Server 2016, NTLM revision 15, as Exchange 2016/2019 hosts announce.
        os_version: OsVersion {
            major_version: 10,
            minor_version: 0,
            build_number: 14393,
            reserved: [0, 0, 0],
            ntlm_revision: 15,
        },
    };
    let bytes = challenge_bytes(&message)?;
    Some((server_challenge, STANDARD.encode(bytes)))
}

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> Option<Hmac<Md5>> {
    let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac)
}

/// Whether `message` answers `server_challenge` with NTLMv2 for `password`.
///
/// NTOWFv2 = HMAC_MD5(MD4(UTF-16LE(password)), UTF-16LE(UPPER(user) + domain)) with user and
/// domain as the client sent them; NTProofStr = HMAC_MD5(NTOWFv2, server_challenge ‖ blob),
/// where the blob is the NT response after its first 16 bytes, which must equal NTProofStr.
pub fn verify(message: &AuthenticateMessage, server_challenge: [u8; 8], password: &str) -> bool {
    let response = &message.ntlm_response;
    if response.len() < MIN_NTLMV2_RESPONSE || message.user_name.is_empty() {
        return false;
    }
    let (proof, blob) = response.split_at(16);
    // Blob version 1.1, as MS-NLMP 2.2.2.7 fixes it.
    if blob.first() != Some(&1) || blob.get(1) != Some(&1) {
        return false;
    }
    let key = ntlmclient::ntlm_v2_password_func(&Credentials {
        username: message.user_name.clone(),
        password: password.to_string(),
        domain: message.domain_name.clone(),
    });
    hmac_md5(&key, &[&server_challenge, blob]).is_some_and(|mac| mac.verify_slice(proof).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a client does with our challenge: build a Type 3 with ntlmclient's own functions.
    fn client_answer(type2: &str, user: &str, domain: &str, password: &str) -> AuthenticateMessage {
        let bytes = STANDARD.decode(type2).unwrap();
        let Ok(Message::Challenge(challenge)) = Message::try_from(bytes.as_slice()) else {
            panic!("not a challenge")
        };
        assert_eq!(challenge.target_name, NETBIOS_DOMAIN);
        assert!(
            challenge
                .target_information
                .iter()
                .any(|e| e.entry_type == TargetInfoType::Timestamp && e.data.len() == 8)
        );
        let target_info: Vec<u8> =
            challenge.target_information.iter().flat_map(|entry| entry.to_bytes()).collect();
        let creds =
            Credentials { username: user.into(), password: password.into(), domain: domain.into() };
        let answer = ntlmclient::respond_challenge_ntlm_v2(
            challenge.challenge,
            &target_info,
            ntlmclient::get_ntlm_time(),
            &creds,
        );
        let message = answer.to_message(&creds, "WORKSTATION", Flags::NEGOTIATE_UNICODE);
        // Through the wire format and back, as the server receives it.
        let token = STANDARD.encode(message.to_bytes().unwrap());
        match decode(&token) {
            Some(Token::Authenticate(authenticate)) => *authenticate,
            other => panic!("not an authenticate message: {other:?}"),
        }
    }

    #[test]
    fn a_real_ntlmv2_handshake_verifies() {
        let now = crate::clock::Clock::system().now();
        let (server_challenge, type2) = challenge(now).unwrap();
        let answer = client_answer(&type2, "monitor", "FJORDBY", "Sommer2026!");
        assert_eq!(answer.user_name, "monitor");
        assert_eq!(answer.domain_name, "FJORDBY");
        assert!(verify(&answer, server_challenge, "Sommer2026!"));
        // The proof binds the challenge: another challenge does not verify.
        let mut other = server_challenge;
        other[0] ^= 1;
        assert!(!verify(&answer, other, "Sommer2026!"));
    }

    #[test]
    fn a_wrong_password_fails() {
        let now = crate::clock::Clock::system().now();
        let (server_challenge, type2) = challenge(now).unwrap();
        let answer = client_answer(&type2, "monitor", "FJORDBY", "wrong");
        assert!(!verify(&answer, server_challenge, "Sommer2026!"));
    }

    #[test]
    fn garbage_tokens_do_not_decode() {
        for token in ["", "!!!", "TlRMTVNTUAADAAAA", "AAAAAAAAAAAAAAAAAAAA"] {
            assert!(!matches!(decode(token), Some(Token::Authenticate(_))), "{token}");
        }
        let negotiate = STANDARD.encode(
            Message::Negotiate(ntlmclient::NegotiateMessage {
                flags: Flags::NEGOTIATE_UNICODE | Flags::NEGOTIATE_NTLM,
                supplied_domain: String::new(),
                supplied_workstation: String::new(),
                os_version: OsVersion::default(),
            })
            .to_bytes()
            .unwrap(),
        );
        assert!(matches!(decode(&negotiate), Some(Token::Negotiate)));
    }
}
