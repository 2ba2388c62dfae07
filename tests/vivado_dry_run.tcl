# Runs a generated Vivado script in plain tclsh: `tclsh vivado_dry_run.tcl SCRIPT`. Vivado's
# own commands are not here, so Tcl's `unknown` records each one ("CALL name") instead of
# running it; every file named to add_files, import_files or source, and every .tcl script
# given to exec, is checked to exist ("MISSING path (command)"). Tcl syntax and Tcl's own
# commands (set, file, cd, if, ...) run for real.
proc check_files {command arguments} {
    set skip 0
    foreach argument $arguments {
        if {$skip} { set skip 0; continue }
        if {$argument in {-fileset -of_objects}} { set skip 1; continue }
        if {[string match -* $argument]} continue
        foreach path $argument {
            if {![file exists $path]} { puts "MISSING $path ($command)" }
        }
    }
}

proc unknown {name args} {
    puts "CALL $name"
    if {$name in {add_files import_files read_xdc read_verilog}} { check_files $name $args }
    return ""
}

# A finished run reports 100 %; any other property is empty.
proc get_property {name args} {
    puts "CALL get_property"
    if {$name eq "PROGRESS"} { return "100%" }
    return ""
}

rename exec tcl_exec
proc exec {args} {
    puts "CALL exec"
    foreach argument $args {
        if {[string match *.tcl $argument] && ![file exists $argument]} {
            puts "MISSING [file join [pwd] $argument] (exec)"
        }
    }
}

# The bitstream and .hwh a real run copies out do not exist in a dry run.
rename file tcl_file
proc file {command args} {
    if {$command eq "copy"} { puts "CALL file copy"; return }
    tcl_file $command {*}$args
}

rename source tcl_source
proc source {path} {
    if {![tcl_file exists $path]} { puts "MISSING $path (source)"; return }
    puts "SOURCE $path"
    uplevel 1 [list tcl_source $path]
}

source [lindex $argv 0]
