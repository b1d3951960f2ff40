import COpenSSL
import Foundation

/// Ed25519 signing and verification, and SHA-256, from the system's libcrypto (OpenSSL 3): the only
/// cryptography NKeys and NATS JWTs need.
enum Ed25519 {
    /// 32 random bytes: a fresh private key (seed).
    static func newSeed() -> Data {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = generator.next() }
        return Data(bytes)
    }

    /// The public key of a 32-byte seed.
    static func publicKey(seed: Data) throws(CredentialsError) -> [UInt8] {
        let key = try privateKey(seed)
        defer { EVP_PKEY_free(key) }
        var out = [UInt8](repeating: 0, count: 32)
        var length = 32
        guard EVP_PKEY_get_raw_public_key(key, &out, &length) == 1, length == 32 else { throw .signing("libcrypto could not derive the public key") }
        return out
    }

    /// The 64-byte signature of `message` by the key of `seed`.
    static func sign(_ message: [UInt8], seed: Data) throws(CredentialsError) -> Data {
        let key = try privateKey(seed)
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { throw .signing("libcrypto is out of memory") }
        defer { EVP_MD_CTX_free(context) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1,
              EVP_DigestSign(context, &signature, &length, message, message.count) == 1, length == 64 else {
            throw .signing("libcrypto could not sign")
        }
        return Data(signature)
    }

    /// Whether `signature` is `publicKey`'s signature of `message`.
    static func isValid(_ signature: Data, of message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard publicKey.count == 32, let key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, publicKey, 32) else { return false }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        let bytes = [UInt8](signature)
        return EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 && EVP_DigestVerify(context, bytes, bytes.count, message, message.count) == 1
    }

    /// SHA-256 of `bytes`.
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = SHA256(bytes, bytes.count, &out)
        return out
    }

    private static func privateKey(_ seed: Data) throws(CredentialsError) -> OpaquePointer {
        guard seed.count == 32, let key = [UInt8](seed).withUnsafeBufferPointer({ EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32) }) else {
            throw .signing("not a 32-byte Ed25519 seed")
        }
        return key
    }
}
