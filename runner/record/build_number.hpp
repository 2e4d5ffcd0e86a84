#pragma once
// Build numbers: one counter per repository (in its git dir) or, outside
// git, per config folder; taken under a lock so concurrent runs differ.
#include <tl/expected.hpp>

#include <string>

namespace drydock::record {

// A folder as one file name (its canonical path, '/' as '_'): outside git,
// what drydock's state for that folder is kept under.
std::string state_key_of(const std::string& config_dir);

// <git dir>/drydock/build_num, or ~/.local/state/drydock/build_num/<folder>.
std::string counter_file_for(const std::string& git_dir, const std::string& config_dir, const std::string& home);

// Increments and returns the counter in the file (created at 0), under an
// exclusive lock so concurrent runs get distinct numbers.
tl::expected<int, std::string> next_build_number(const std::string& counter_file);

// The number the next run would take, without taking it.
int peek_build_number(const std::string& counter_file);

} // namespace drydock::record
