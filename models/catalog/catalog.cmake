# Included from models/CMakeLists.txt. The catalog data files (GPUs, LLMs)
# are compiled into the library, so the capstan binary and the Python module
# need no data path at run time.
file(GLOB CAPSTAN_CATALOG_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/catalog/data/*.json)
set(CAPSTAN_CATALOG_CPP ${PROJECT_BINARY_DIR}/generated/catalog_data.cpp)
capstan_embed_files(OUT ${CAPSTAN_CATALOG_CPP} FILES ${CAPSTAN_CATALOG_FILES}
                    NAMESPACE capstan::catalog FUNCTION embedded_files HEADER models/catalog/embedded.h)
target_sources(capstan_models PRIVATE ${CAPSTAN_CATALOG_CPP})
