import Foundation

/// NATS JWTs (nats-io/jwt v2): a header naming the `ed25519-nkey` algorithm, the claims, and the issuer's Ed25519
/// signature of the first two parts, each part base64url-encoded without padding.
public enum JWT {
    /// The header every NATS v2 JWT carries.
    static let header = #"{"typ":"JWT","alg":"ed25519-nkey"}"#

    /// Signs `claims` as `issuer`: sets `iss`, `iat` and `jti` (a hash of the claims, as nats-io/jwt does) and
    /// returns the encoded token.
    ///
    /// - Parameters:
    ///   - claims: the claims besides `iss`, `iat` and `jti` (`sub`, `name`, `exp`, `nats`).
    ///   - issuedAt: seconds since 1970, the token's `iat`.
    public static func encode(_ claims: [String: JSONValue], issuer: NKey, issuedAt: Int64) throws(CredentialsError) -> String {
        var claims = claims
        claims["iss"] = .string(issuer.publicKey)
        claims["iat"] = .int(issuedAt)
        claims["jti"] = nil
        // nats-io/jwt hashes its claims with SHA-512/256; the id is opaque to servers and clients, so SHA-256 serves.
        claims["jti"] = .string(Base32.encode(Ed25519.sha256(Array(JSONValue.object(claims).text.utf8))))
        let signed = base64URL(Data(header.utf8)) + "." + base64URL(Data(JSONValue.object(claims).text.utf8))
        return signed + "." + base64URL(try issuer.sign(Data(signed.utf8)))
    }

    /// The claims of an encoded token, and whether `issuer`'s key (from the claims' `iss`) signed it.
    public static func decode(_ token: String) throws(CredentialsError) -> (claims: [String: Any], signatureValid: Bool) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let body = fromBase64URL(parts[1]), let signature = fromBase64URL(parts[2]),
              let claims = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            throw .badToken("not three base64url parts with JSON claims")
        }
        guard let issuer = claims["iss"] as? String, let raw = Base32.decode(issuer), raw.count == 35 else {
            throw .badToken("the claims name no issuer public key")
        }
        return (claims, Ed25519.isValid(signature, of: Array((parts[0] + "." + parts[1]).utf8), publicKey: Array(raw[1..<33])))
    }

    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func fromBase64URL(_ text: Substring) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}

/// A JSON value with keys written in sorted order, so that a token's text is the same for the same claims.
public indirect enum JSONValue: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case object([String: JSONValue])

    var text: String {
        switch self {
        case .string(let s):
            let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        case .int(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .object(let members):
            return "{" + members.keys.sorted().map { JSONValue.string($0).text + ":" + members[$0]!.text }.joined(separator: ",") + "}"
        }
    }
}
