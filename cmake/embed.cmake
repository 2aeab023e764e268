# capstan_embed_files(OUT <cpp> FILES <json...> NAMESPACE <ns> FUNCTION <fn> HEADER <h>)
# A rule that compiles data files into the binary (cmake/embed_files.cmake
# writes the source). Call it in the directory of the target that compiles OUT.
function(capstan_embed_files)
  cmake_parse_arguments(E "" "OUT;NAMESPACE;FUNCTION;HEADER" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT ${E_OUT}
    COMMAND ${CMAKE_COMMAND} -DOUT=${E_OUT} "-DFILES=${E_FILES}" -DNAMESPACE=${E_NAMESPACE}
            -DFUNCTION=${E_FUNCTION} -DHEADER=${E_HEADER} -P ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${E_FILES} ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    COMMENT "Embedding ${E_FUNCTION}"
    VERBATIM)
endfunction()
