# `cmake --install` puts the libraries, their public headers (under include/tq/, included as
# "index/index.h"), tq-bench and a CMake package in place: find_package(tq) + tq::tq.
include(CMakePackageConfigHelpers)

add_library(tq INTERFACE)
target_link_libraries(tq INTERFACE tq_index)
set_target_properties(tq_engine PROPERTIES EXPORT_NAME engine)
set_target_properties(tq_index PROPERTIES EXPORT_NAME index)
set_target_properties(tq_platform PROPERTIES EXPORT_NAME platform)

install(TARGETS tq tq_index tq_engine tq_platform EXPORT tqTargets
        ARCHIVE DESTINATION lib
        INCLUDES DESTINATION include/tq)
foreach(dir engine index platform)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION include/tq/${dir}
          FILES_MATCHING PATTERN "*.h")
endforeach()
install(EXPORT tqTargets NAMESPACE tq:: DESTINATION lib/cmake/tq)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tqConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/tqConfig.cmake
                              INSTALL_DESTINATION lib/cmake/tq)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tqConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tqConfig.cmake ${PROJECT_BINARY_DIR}/tqConfigVersion.cmake
        DESTINATION lib/cmake/tq)
