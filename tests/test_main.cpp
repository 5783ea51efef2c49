// doctest's main for the whole suite. torch comes first: glog's CHECK macros would otherwise
// silently replace doctest's (see docs/troubleshooting.md).
#include <torch/torch.h>
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
