import Foundation

/// An NKey: an Ed25519 key pair whose public key and seed are written in the NATS encoding (nats-io/nkeys):
/// a prefix byte naming the role, the key, a CRC-16 of both, all in base32 without padding.
public struct NKey: Sendable {
    /// The role of a key, which its prefix names (the first letter of its public key: `O`, `A`, `U`).
    public enum Role: UInt8, Sendable, CaseIterable {
        case `operator` = 112  // 14 << 3: "O"
        case account = 0  // 0 << 3: "A"
        case user = 160  // 20 << 3: "U"
    }

    public let role: Role
    /// The 32 bytes of the Ed25519 seed (the private key).
    private let rawSeed: Data

    /// A fresh key pair of `role`.
    public init(role: Role) {
        self.role = role
        rawSeed = Ed25519.newSeed()
    }

    /// The key pair an encoded seed (`SO…`, `SA…`, `SU…`) holds.
    ///
    /// - Throws: `CredentialsError.badSeed` when the text is not a seed of a known role.
    public init(seed text: String) throws(CredentialsError) {
        guard let raw = Base32.decode(text), raw.count == 36, CRC16.checksum(raw.prefix(34)) == UInt16(raw[34]) | UInt16(raw[35]) << 8 else {
            throw .badSeed("not a base32 NKey seed with a valid checksum")
        }
        guard raw[0] & 0xF8 == NKey.seedPrefix, let role = Role(rawValue: (raw[0] & 0x07) << 5 | raw[1] >> 3) else {
            throw .badSeed("the prefix names no operator, account or user seed")
        }
        self.role = role
        rawSeed = Data(raw[2..<34])
    }

    /// The public key as NATS writes it: `O…`, `A…` or `U…`, 56 characters.
    public var publicKey: String { NKey.encode([role.rawValue] + (try! Ed25519.publicKey(seed: rawSeed))) }

    /// The seed as NATS writes it: `SO…`, `SA…` or `SU…`, 58 characters; the secret of a creds file.
    public var seed: String {
        // Two prefix bytes: the seed prefix with the role's top 3 bits, then the role's low 5 bits.
        NKey.encode([NKey.seedPrefix | role.rawValue >> 5, (role.rawValue & 0x1F) << 3] + rawSeed)
    }

    /// An Ed25519 signature of `data`.
    public func sign(_ data: some DataProtocol) throws(CredentialsError) -> Data {
        try Ed25519.sign(Array(data), seed: rawSeed)
    }

    static let seedPrefix: UInt8 = 18 << 3  // "S"

    private static func encode(_ bytes: some Collection<UInt8>) -> String {
        var raw = Array(bytes)
        let crc = CRC16.checksum(raw)
        raw += [UInt8(crc & 0xFF), UInt8(crc >> 8)]
        return Base32.encode(raw)
    }
}

/// RFC 4648 base32 (the standard alphabet) without padding, as NKeys use it.
enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        for byte in bytes {
            buffer = buffer << 8 | Int(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[buffer >> bits & 31])
            }
        }
        if bits > 0 { out.append(alphabet[buffer << (5 - bits) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        for char in text.utf8 {
            guard let value = alphabet.firstIndex(of: char) else { return nil }
            buffer = (buffer << 5 | value) & 0xFFFF
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(buffer >> bits & 0xFF))
            }
        }
        return out
    }
}

/// CRC-16/XMODEM (polynomial 0x1021, initial value 0), the checksum NKeys carry in little-endian order.
enum CRC16 {
    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? crc << 1 ^ 0x1021 : crc << 1 }
        }
        return crc
    }
}
