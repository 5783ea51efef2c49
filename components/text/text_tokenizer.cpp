#include "components/text/text_tokenizer.h"

#include "framework/registry/registry.h"

namespace higgs {

HIGGS_DECLARE_KIND(TextTokenizer, 20, "Turns text into token ids.", {"text_tokenizer"});

}  // namespace higgs
