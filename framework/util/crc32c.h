// CRC-32C (Castagnoli), as TFRecord framing uses it (TensorBoard event files).
#pragma once

#include <cstddef>
#include <cstdint>

namespace higgs {

uint32_t crc32c(const void* data, size_t size);
/// TFRecord's masked CRC: rotated right by 15 bits plus 0xa282ead8, so that a CRC of data that
/// holds CRCs is not degenerate.
uint32_t masked_crc32c(const void* data, size_t size);

}  // namespace higgs
