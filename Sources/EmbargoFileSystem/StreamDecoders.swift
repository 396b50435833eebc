import CLzma
import CZstd

/// Why xz or zstd data could not be decompressed.
public enum DecompressionError: Error, Sendable, Equatable, CustomStringConvertible {
    case corrupt(format: String, reason: String)
    case tooLarge(limit: Int)

    public var code: String {
        switch self {
        case .corrupt: return "fs.corrupt-compressed-data"
        case .tooLarge: return "fs.decompressed-too-large"
        }
    }

    public var description: String {
        switch self {
        case .corrupt(let format, let reason): return "corrupt \(format) data: \(reason)"
        case .tooLarge(let limit): return "decompressed data exceeds \(limit) bytes"
        }
    }
}

/// Decompresses `.xz` data (one or more concatenated streams) with a bound on the output.
public enum XzDecoder {
    public static func decompress(_ input: [UInt8], limit: Int = 256 << 20) throws(DecompressionError) -> [UInt8] {
        var stream = lzma_stream()
        // The decoder's own memory is capped too: a hostile header can ask for gigabytes of dictionary.
        guard lzma_stream_decoder(&stream, 512 << 20, lzmaConcatenated) == LZMA_OK else {
            throw .corrupt(format: "xz", reason: "decoder initialisation failed")
        }
        defer { lzma_end(&stream) }
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status = LZMA_OK
        input.withUnsafeBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = inputBuffer.count
            var action = LZMA_RUN
            repeat {
                if stream.avail_in == 0 { action = LZMA_FINISH }
                let produced: Int = chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = chunkBuffer.count
                    status = lzma_code(&stream, action)
                    return chunkBuffer.count - stream.avail_out
                }
                if output.count + produced > limit {
                    status = LZMA_MEMLIMIT_ERROR
                    output.removeAll()
                    return
                }
                output.append(contentsOf: chunk[0..<produced])
            } while status == LZMA_OK
        }
        switch status {
        case LZMA_STREAM_END: return output
        case LZMA_MEMLIMIT_ERROR where output.isEmpty: throw .tooLarge(limit: limit)
        case LZMA_FORMAT_ERROR: throw .corrupt(format: "xz", reason: "not xz data")
        case LZMA_DATA_ERROR: throw .corrupt(format: "xz", reason: "corrupt data")
        case LZMA_BUF_ERROR: throw .corrupt(format: "xz", reason: "truncated stream")
        default: throw .corrupt(format: "xz", reason: "liblzma status \(status.rawValue)")
        }
    }
}

/// Decompresses `.zst` data (one or more frames) with a bound on the output.
public enum ZstdDecoder {
    public static func decompress(_ input: [UInt8], limit: Int = 256 << 20) throws(DecompressionError) -> [UInt8] {
        guard let stream = ZSTD_createDStream() else { throw .corrupt(format: "zstd", reason: "decoder initialisation failed") }
        defer { ZSTD_freeDStream(stream) }
        // A frame may not ask for a window over 2^27 bytes (128 MiB): more is a hostile frame.
        _ = ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, 27)
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var lastResult = 0
        var failure: DecompressionError?
        input.withUnsafeBufferPointer { inputBuffer in
            var source = ZSTD_inBuffer(src: inputBuffer.baseAddress, size: inputBuffer.count, pos: 0)
            while failure == nil {
                let (result, produced): (Int, Int) = chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    var target = ZSTD_outBuffer(dst: chunkBuffer.baseAddress, size: chunkBuffer.count, pos: 0)
                    let result = ZSTD_decompressStream(stream, &target, &source)
                    return (result, target.pos)
                }
                if ZSTD_isError(result) != 0 {
                    failure = .corrupt(format: "zstd", reason: String(cString: ZSTD_getErrorName(result)))
                    break
                }
                if output.count + produced > limit {
                    failure = .tooLarge(limit: limit)
                    break
                }
                output.append(contentsOf: chunk[0..<produced])
                lastResult = result
                // All input consumed and the decoder holds nothing back: done.
                if source.pos == source.size && produced < chunk.count { break }
            }
        }
        if let failure { throw failure }
        // A non-zero hint at the end means the last frame is incomplete.
        if lastResult != 0 { throw .corrupt(format: "zstd", reason: "truncated frame") }
        return output
    }
}

/// `LZMA_CONCATENATED` (a macro Swift does not import): decode every concatenated stream.
private let lzmaConcatenated: UInt32 = 0x08
