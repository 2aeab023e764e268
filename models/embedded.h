#pragma once
// A data file compiled into the binary (cmake/embed_files.cmake).
#include <span>

namespace capstan {

struct EmbeddedFile {
  const char* name;  // file name, e.g. "gpus.json"
  const char* text;  // its contents
};

}  // namespace capstan
