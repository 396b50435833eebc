import CZlib

/// Why gzip data could not be decompressed.
public enum GzipError: Error, Sendable, Equatable, CustomStringConvertible {
    case corrupt(offset: Int, reason: String)
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .corrupt(let offset, let reason): return "corrupt gzip data near byte \(offset): \(reason)"
        case .tooLarge(let limit): return "decompressed data exceeds \(limit) bytes"
        }
    }
}

/// Decompresses gzip data (RFC 1952), including files of several concatenated members, as
/// `logrotate` writes them, with a bound on the output size.
public enum GzipDecoder {
    public static func decompress(_ input: [UInt8], limit: Int = 512 << 20) throws(GzipError) -> [UInt8] {
        if input.isEmpty { return [] }
        var output = [UInt8]()
        output.reserveCapacity(min(limit, input.count * 4))
        var stream = z_stream()
        // 15 window bits + 32: detect gzip or zlib headers automatically.
        var status = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw .corrupt(offset: 0, reason: "inflateInit failed (\(status))") }
        defer { inflateEnd(&stream) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var consumed = 0
        try input.withUnsafeBufferPointer { (inputBuffer) throws(GzipError) in
            while consumed < inputBuffer.count {
                stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress! + consumed)
                stream.avail_in = UInt32(inputBuffer.count - consumed)
                repeat {
                    let produced: Int = chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                        stream.next_out = chunkBuffer.baseAddress
                        stream.avail_out = UInt32(chunkBuffer.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        return chunkBuffer.count - Int(stream.avail_out)
                    }
                    if status != Z_OK && status != Z_STREAM_END && !(status == Z_BUF_ERROR && produced > 0) {
                        let position = consumed + (inputBuffer.count - consumed - Int(stream.avail_in))
                        let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                        throw .corrupt(offset: position, reason: message)
                    }
                    if output.count + produced > limit { throw .tooLarge(limit: limit) }
                    output.append(contentsOf: chunk[0..<produced])
                } while stream.avail_out == 0 && status != Z_STREAM_END
                let used = (inputBuffer.count - consumed) - Int(stream.avail_in)
                consumed += used
                if status == Z_STREAM_END {
                    // Another gzip member may follow; skip trailing zero padding.
                    while consumed < inputBuffer.count && inputBuffer[consumed] == 0 { consumed += 1 }
                    if consumed < inputBuffer.count {
                        guard inflateReset(&stream) == Z_OK else {
                            throw .corrupt(offset: consumed, reason: "cannot reset for the next member")
                        }
                    }
                } else if used == 0 {
                    throw .corrupt(offset: consumed, reason: "truncated stream")
                }
            }
        }
        if status != Z_STREAM_END { throw .corrupt(offset: consumed, reason: "truncated stream") }
        return output
    }
}
