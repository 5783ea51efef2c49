#include <doctest/doctest.h>
#include "framework/config/options.h"
TEST_CASE("placeholder compile") { CHECK(1 == 1); }
