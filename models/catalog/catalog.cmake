# Included from models/CMakeLists.txt. The catalog data files (GPUs, LLMs) are compiled into the library, so the
# capstan binary and the Python module need no data path at run time.
file(GLOB CAPSTAN_CATALOG_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/catalog/data/*.json)
set(CAPSTAN_CATALOG_CPP ${PROJECT_BINARY_DIR}/generated/catalog_data.cpp)
add_custom_command(
  OUTPUT ${CAPSTAN_CATALOG_CPP}
  COMMAND ${CMAKE_COMMAND} -DOUT=${CAPSTAN_CATALOG_CPP} "-DFILES=${CAPSTAN_CATALOG_FILES}"
          -DNAMESPACE=capstan::catalog -DFUNCTION=embedded_files -DHEADER=models/catalog/embedded.h
          -P ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
  DEPENDS ${CAPSTAN_CATALOG_FILES} ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
  COMMENT "Embedding the catalog data files"
  VERBATIM)
target_sources(capstan_models PRIVATE ${CAPSTAN_CATALOG_CPP})
