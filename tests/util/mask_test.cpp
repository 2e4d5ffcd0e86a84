// The one masker: order of secrets, lines split across chunks, long lines.
#include <catch2/catch.hpp>

#include "util/mask.hpp"

using namespace drydock;

TEST_CASE("secrets are masked longest first, once each", "[util][secrets]")
{
  CHECK(masking_order({"ab", "", "abcdef", "ab", "xyz"}) == std::vector<std::string>{"abcdef", "xyz", "ab"});
  CHECK(mask_secrets("abcdef ab", masking_order({"ab", "abcdef"})) == "*** ***");
}

TEST_CASE("a background log masks a secret split across writes and cuts unbroken output", "[util][secrets]")
{
  LineMasker masker({"hunter2"});
  CHECK(masker.feed("pw hun").empty());
  CHECK(masker.feed("ter2 ok\nnext hunt") == "pw *** ok\n");
  CHECK(masker.finish() == "next hunt");
  // 200 KiB without a newline, a secret at the first cut: pieces of at most
  // 64 KiB come out as it arrives, the secret masked, nothing kept beyond
  // one piece and the longest secret.
  std::string logged;
  const std::string text = std::string(kMaxLineBytes - 3, 'x') + "hunter2" + std::string(140'000, 'y');
  for (std::size_t at = 0; at < text.size(); at += 4096) {
    logged += masker.feed(std::string_view(text).substr(at, 4096));
  }
  logged += masker.finish();
  CHECK(logged.find("hunter2") == std::string::npos);
  CHECK(logged.find("hun") == std::string::npos);
  CHECK(std::count(logged.begin(), logged.end(), 'x') == static_cast<long>(kMaxLineBytes - 3));
  CHECK(std::count(logged.begin(), logged.end(), 'y') == 140'000);
  CHECK(logged.find('\n') <= kMaxLineBytes);
}
