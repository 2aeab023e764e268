#pragma once
// The catalog data files of models/catalog/data/, compiled in.
#include "models/embedded.h"

namespace capstan::catalog {

using capstan::EmbeddedFile;
std::span<const EmbeddedFile> embedded_files();

}  // namespace capstan::catalog
