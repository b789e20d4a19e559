-- expect 2: DML, DML
;;
  ;
SELECT 1;;
;  /* nothing */ ;
SELECT 2;
;
