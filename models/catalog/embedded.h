#pragma once
// The catalog data files of models/catalog/data/, compiled in.
#include <span>

namespace capstan::catalog {

struct EmbeddedFile {
  const char* name;  // file name, e.g. "gpus.json"
  const char* text;  // its JSON text
};

std::span<const EmbeddedFile> embedded_files();

}  // namespace capstan::catalog
