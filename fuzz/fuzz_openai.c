/* fuzz/fuzz_openai.c - ar_provider_parse_response for openai response bodies;
 * input format in fuzz/fuzz_provider.h. */
#include "fuzz_provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_provider(AR_PROV_OPENAI, data, size);
}
